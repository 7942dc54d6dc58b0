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

{{- define "paissive.worker" -}}
{{- printf "%s-router-worker" (include "paissive.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "paissive.workerSelector" -}}
app.kubernetes.io/name: paissive
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: router-worker
{{- end -}}

{{/*
The environment the router and its batch workers share: catalog, Redis (the cache's, which also holds the
job queue), then `env` (a dict: router.env merged with the caller's own variables).
*/}}
{{- define "paissive.routerEnv" -}}
{{- $root := .root -}}
- {name: CATALOG, value: kubernetes}
- {name: HOST, value: "0.0.0.0"}
- {name: PORT, value: "8080"}
- {name: WATCH_NAMESPACE, value: {{ include "paissive.routerNamespace" $root | quote }}}
- {name: LOG_LEVEL, value: {{ $root.Values.router.logLevel | quote }}}
- {name: REDIS_KEY_PREFIX, value: {{ $root.Values.router.redis.keyPrefix | quote }}}
{{- if $root.Values.router.redis.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.router.redis.existingSecret }}
      key: {{ $root.Values.router.redis.existingSecretKey }}
{{- else if $root.Values.router.redis.url }}
- {name: REDIS_URL, value: {{ $root.Values.router.redis.url | quote }}}
{{- end }}
{{- range $name, $value := .env }}
- {name: {{ $name }}, value: {{ $value | quote }}}
{{- end }}
{{- end -}}

{{/* Batch workers run in their own Deployment: they need the shared queue, so Redis. */}}
{{- define "paissive.workerEnabled" -}}
{{- if and .Values.router.enabled .Values.router.worker.enabled -}}
{{- if not (or .Values.router.redis.url .Values.router.redis.existingSecret) -}}
{{- fail "router.worker.enabled needs Redis for the shared job queue: set router.redis.url or router.redis.existingSecret" -}}
{{- end -}}
true
{{- end -}}
{{- end -}}

{{- define "paissive.testSelector" -}}
app.kubernetes.io/name: paissive
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: helm-test
{{- end -}}
