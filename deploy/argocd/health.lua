-- Argo CD health check for flowrelease.io/FlowRelease (resource.customizations.health.flowrelease.io_FlowRelease).
-- Argo CD sets the global `obj` to the live object; the script returns {status=..., message=...}.
-- It uses base Lua only (no string, math, io or os), so it runs without useOpenLibs, and it reads the
-- status in kstatus's order, so Argo CD and Flux agree (docs/kubernetes.md, "Health"):
--   1. being deleted                                  Progressing
--   2. no status yet                                  Progressing
--   3. status.observedGeneration behind the spec      Progressing
--   4. the first of Reconciling=True / Stalled=True   Progressing / Degraded
--   5. spec.suspend and the operator has caught up    Suspended
--   6. Ready=True                                     Healthy
--   7. Ready=False or Unknown                         Progressing
--   8. no Ready, Reconciling or Stalled condition     by phase: Ready Healthy, a failure Degraded,
--                                                     otherwise Progressing

local function text(value, fallback)
  if value ~= nil and value ~= "" then
    return value
  end
  return fallback
end

local hs = {}

if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "FlowRelease is being deleted"
  return hs
end

local status = obj.status
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the flowrelease operator to report status"
  return hs
end

local generation = obj.metadata and obj.metadata.generation
local observed = status.observedGeneration
if generation ~= nil and observed ~= nil and observed ~= generation then
  hs.status = "Progressing"
  hs.message = "FlowRelease generation is " .. generation .. ", but latest observed generation is " .. observed
  return hs
end

local ready = nil
for _, c in ipairs(status.conditions or {}) do
  if c.type == "Reconciling" and c.status == "True" then
    hs.status = "Progressing"
    hs.message = text(c.message, "Reconciling")
    return hs
  end
  if c.type == "Stalled" and c.status == "True" then
    hs.status = "Degraded"
    hs.message = text(c.message, "Stalled")
    return hs
  end
  if c.type == "Ready" and ready == nil then
    ready = c
  end
end

local phase = status.phase or ""
local suspended = obj.spec ~= nil and obj.spec.suspend == true
if suspended then
  hs.status = "Suspended"
  hs.message = "FlowRelease is suspended (spec.suspend: true); nothing is published until it is resumed"
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = text(ready.message, "Published version " .. (status.publishedVersion or ""))
  return hs
end

if ready ~= nil then
  hs.status = "Progressing"
  hs.message = text(ready.message, "Waiting for the FlowRelease to become ready (phase " .. phase .. ")")
  return hs
end

if phase == "Ready" then
  hs.status = "Healthy"
  hs.message = "Published version " .. (status.publishedVersion or "")
elseif phase == "RolledBack" or phase == "Failed" or phase == "ValidationFailed" then
  hs.status = "Degraded"
  hs.message = "FlowRelease is " .. phase .. "; see its events"
else
  hs.status = "Progressing"
  hs.message = "Waiting for the flowrelease operator (phase " .. text(phase, "none") .. ")"
end
return hs
