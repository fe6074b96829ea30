-- Argo CD health check for flowrelease.io/FlowRelease (resource.customizations.health.flowrelease.io_FlowRelease).
-- Argo CD sets the global `obj` to the live object; the script returns {status=..., message=...}.
--   Progressing  being deleted, reconciling, or this generation not yet observed by the operator
--   Suspended    spec.suspend is true
--   Degraded     Stalled=True, or phase RolledBack / Failed / ValidationFailed, or Ready=False
--   Healthy      Ready=True for the current generation

local function condition(conditions, type)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local function message_of(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

local hs = {}

if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "FlowRelease is being deleted"
  return hs
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "FlowRelease is suspended (spec.suspend: true); nothing is published until it is resumed"
  return hs
end

local status = obj.status
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the flowrelease operator to report status"
  return hs
end

local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. string.format("%d", generation)
  return hs
end

local ready = condition(status.conditions, "Ready")
local stalled = condition(status.conditions, "Stalled")
local reconciling = condition(status.conditions, "Reconciling")
local phase = status.phase or ""

if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = message_of(stalled, message_of(ready, "FlowRelease is stalled in phase " .. phase))
  return hs
end

if phase == "RolledBack" or phase == "Failed" or phase == "ValidationFailed" then
  hs.status = "Degraded"
  hs.message = phase .. ": " .. message_of(ready, "see the FlowRelease's conditions and events")
  return hs
end

if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = message_of(reconciling, "Reconciling (phase " .. phase .. ")")
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  local published = status.publishedVersion or ""
  hs.message = message_of(ready, "Published version " .. published)
  return hs
end

if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = message_of(ready, "FlowRelease is not ready")
  return hs
end

hs.status = "Progressing"
hs.message = message_of(ready, "Waiting for the FlowRelease to become ready (phase " .. phase .. ")")
return hs
