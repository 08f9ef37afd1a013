-- Address validation's answer for a payee (enrichment.address_validation), when it was asked.
ALTER TABLE payees ADD COLUMN address_validation jsonb;
