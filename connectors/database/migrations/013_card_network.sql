-- The card network's answer for a payee (enrichment.card_network), when it was asked.
ALTER TABLE payees ADD COLUMN card_network jsonb;
