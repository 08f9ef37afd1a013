"""One package per pipeline stage: pure logic over records (no Kafka) plus a thin Faust agent.

A record is the decoded Avro dict of a topic: the envelope (``payee_id``, ``batch_id``, ``source``,
``source_ts``, ``version``), the ``payee`` as ingested, and one section per stage that ran
(``screening``, ``classification``, ``match``, ``enrichment``). A stage's ``apply`` adds its section.
"""
