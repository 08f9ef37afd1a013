"""A stand-in for a Confluent-compatible schema registry, for the local stack and the tests.

None of the usual registries (Confluent, Karapace, Apicurio) installs from the package registries
this project builds from, so ``payeeflow registry`` serves the part of the Confluent Schema Registry
REST API that clients call, stored in PostgreSQL: ``store`` keeps subjects, versions, ids and
compatibility levels (checked with the Apache ``avro`` package), ``app`` speaks the REST API. In a
real deployment point ``PAYEEFLOW_SCHEMA_REGISTRY_URL`` at the company's registry instead.
"""
