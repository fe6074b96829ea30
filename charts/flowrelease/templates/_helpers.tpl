{{/* The name prefix of every object: the release name when it already says "flowrelease". */}}
{{- define "flowrelease.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* deploy/kustomization.yaml's labels plus Helm's standard ones. */}}
{{- define "flowrelease.labels" -}}
app.kubernetes.io/name: flowrelease
app.kubernetes.io/part-of: flowrelease
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "flowrelease.selectorLabels" -}}
app.kubernetes.io/name: flowrelease
app.kubernetes.io/component: operator
{{- end -}}

{{- define "flowrelease.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{- define "flowrelease.readSourcesClusterWide" -}}
{{- if or (empty .Values.watchNamespaces) .Values.readSourcesClusterWide -}}true{{- end -}}
{{- end -}}
