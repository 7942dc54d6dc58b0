{{- define "paissive.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "paissive.operator" -}}
{{- printf "%s-operator" (include "paissive.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "paissive.labels" -}}
app.kubernetes.io/name: paissive
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "paissive.operatorSelector" -}}
app.kubernetes.io/name: paissive
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "paissive.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "paissive.router" -}}
{{- printf "%s-router" (include "paissive.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "paissive.routerSelector" -}}
app.kubernetes.io/name: paissive
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: router
{{- end -}}

{{- define "paissive.routerNamespace" -}}
{{- default .Release.Namespace .Values.router.watchNamespace -}}
{{- end -}}
