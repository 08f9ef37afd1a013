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
  {{- with include "payeeflow.kafkaEnv" . }}
  {{- trim . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* Kafka's SASL login from an existing Secret and the paths of its TLS files, each only when set. */}}
{{- define "payeeflow.kafkaEnv" -}}
{{- with .Values.kafka.sasl }}
{{- if and .secret .usernameKey }}
- name: PAYEEFLOW_KAFKA_SASL_USERNAME
  valueFrom: {secretKeyRef: {name: {{ .secret }}, key: {{ .usernameKey }}}}
{{- end }}
{{- if .secret }}
- name: PAYEEFLOW_KAFKA_SASL_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ .secret }}, key: {{ .passwordKey }}}}
{{- end }}
{{- end }}
{{- with .Values.kafka.tls }}
{{- if and .secret .caKey }}
- {name: PAYEEFLOW_KAFKA_SSL_CA_FILE, value: {{ printf "/etc/payeeflow/kafka-tls/%s" .caKey | quote }}}
{{- end }}
{{- if and .secret .certKey }}
- {name: PAYEEFLOW_KAFKA_SSL_CERT_FILE, value: {{ printf "/etc/payeeflow/kafka-tls/%s" .certKey | quote }}}
{{- end }}
{{- if and .secret .keyKey }}
- {name: PAYEEFLOW_KAFKA_SSL_KEY_FILE, value: {{ printf "/etc/payeeflow/kafka-tls/%s" .keyKey | quote }}}
{{- end }}
{{- end }}
{{- end -}}

{{/* Files mounted read-only from Secrets, only those set: Kafka's TLS files in every pod, the card
     network's signing key where ``signingKey`` (the workers). Called with (dict "root" $ "signingKey" …). */}}
{{- define "payeeflow.volumes" -}}
{{- with .root.Values.kafka.tls.secret }}
- name: kafka-tls
  secret: {secretName: {{ . }}}
{{- end }}
{{- with .root.Values.cardNetwork }}
{{- if and $.signingKey .signingKeySecret }}
- name: card-network-key
  secret:
    secretName: {{ .signingKeySecret }}
    items: [{key: {{ .signingKeyKey }}, path: signing-key.pem}]
{{- end }}
{{- end }}
{{- end -}}

{{- define "payeeflow.volumeMounts" -}}
{{- if .root.Values.kafka.tls.secret }}
- {name: kafka-tls, mountPath: /etc/payeeflow/kafka-tls, readOnly: true}
{{- end }}
{{- if and .signingKey .root.Values.cardNetwork.signingKeySecret }}
- {name: card-network-key, mountPath: /etc/payeeflow/card-network, readOnly: true}
{{- end }}
{{- end -}}

{{/* A consumer's static group membership: its pod's name, so a restarted container takes its
     partitions straight back (Kafka group.instance.id). Appended to payeeflow.env's list. */}}
{{- define "payeeflow.staticMember" -}}
- name: PAYEEFLOW_GROUP_INSTANCE_ID
  valueFrom:
    fieldRef: {fieldPath: metadata.name}
{{- end -}}
