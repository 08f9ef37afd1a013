{{- define "payeeflow.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "payeeflow.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "payeeflow.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}

{{/* Environment shared by every container: the ConfigMap, the credentials Secret if any, and the
     database secret. */}}
{{- define "payeeflow.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "payeeflow.fullname" . }}
  {{- with .Values.credentialsSecret }}
  - secretRef:
      name: {{ . }}
  {{- end }}
env:
  - name: DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ default (include "payeeflow.fullname" .) .Values.database.existingSecret }}
        key: {{ .Values.database.secretKey }}
{{- end -}}

{{/* A consumer's static group membership: its pod's name, so a restarted container takes its
     partitions straight back (Kafka group.instance.id). Appended to payeeflow.env's list. */}}
{{- define "payeeflow.staticMember" -}}
- name: PAYEEFLOW_GROUP_INSTANCE_ID
  valueFrom:
    fieldRef: {fieldPath: metadata.name}
{{- end -}}
