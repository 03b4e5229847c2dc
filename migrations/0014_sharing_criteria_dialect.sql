-- Hand-written: criteria of sharing rules are `where` trees of the JSON dialect
-- ({field, operator, value}, src/query/parse-json.ts), checked by the same whitelist as a
-- client's filter. Rules seeded before that used {field, op: 'eq', value}; rewrite them so one
-- compiler reads every stored rule.
UPDATE sharing_rules
SET criteria = jsonb_build_object(
      'field', criteria->>'field',
      'operator', CASE criteria->>'op'
        WHEN 'eq' THEN 'equals' WHEN 'neq' THEN 'notEquals'
        WHEN 'gt' THEN 'greaterThan' WHEN 'gte' THEN 'greaterThanOrEqual'
        WHEN 'lt' THEN 'lessThan' WHEN 'lte' THEN 'lessThanOrEqual'
        WHEN 'in' THEN 'in' ELSE criteria->>'op' END,
      'value', criteria->'value'),
    updated_at = now()
WHERE criteria ? 'op' AND NOT criteria ? 'operator';
--> statement-breakpoint
-- Compiled grants are keyed by the sharing version: raise it where rules changed.
UPDATE org_generations g SET sharing_version = g.sharing_version + 1
WHERE EXISTS (SELECT 1 FROM sharing_rules r WHERE r.org_id = g.org_id AND r.criteria ? 'operator');
