{{- define "istiod-lite.labels" -}}
app: istiod-lite
app.kubernetes.io/name: istiod-lite
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- if .Values.revision }}
istio.io/rev: {{ .Values.revision }}
{{- end }}
{{- end }}

{{- define "istiod-lite.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "istiod-lite.dnsNames" -}}
- istiod-lite.{{ .Release.Namespace }}.svc
- istiod-lite.{{ .Release.Namespace }}.svc.cluster.local
{{- end }}
