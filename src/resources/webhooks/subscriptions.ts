import type { Auth } from '../../core/auth';
import { AppError } from '../../core/errors';
import { seal, unseal } from '../../core/seal';
import type { Db } from '../../db/client';
import type { ObjectType } from '../../sharing/types';
import { checkCriteria } from '../../write/sharing-criteria';
import { CATALOG } from '../registry';

/**
 * Webhook subscriptions: what is stored, checked before it is (a URL we may call, a filter the
 * query layer accepts over the events' object), and read back. Every statement names the org.
 */

/** Subscriptions an org may have: each write of the org looks its active ones up. */
export const MAX_SUBSCRIPTIONS = 25;

export interface Subscription {
  id: string;
  url: string;
  events: string[];
  filter: Record<string, unknown> | null;
  active: boolean;
  consecutiveFailures: number;
  disabledAt: Date | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const invalid = (path: string, message: string) => new AppError('invalid_body', `${path}: ${message}.`, [{ path, message }]);

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** https, or plain http to a loopback host where the deployment allows it (local receivers). */
export function checkUrl(raw: string, allowLoopback: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('url', 'not an absolute URL');
  }
  if (url.username || url.password) throw invalid('url', 'credentials do not belong in the URL');
  if (url.protocol === 'https:') return url.toString();
  if (url.protocol === 'http:' && allowLoopback && LOOPBACK.test(url.hostname)) return url.toString();
  throw invalid('url', allowLoopback ? 'must be https (or http to a loopback host)' : 'must be https');
}

/**
 * A filter is a where tree of the JSON dialect (`POST /v1/{resource}/query`'s `where`) over the
 * one object all the subscription's events are about (`deal.updated`, `deal.stage_changed`),
 * checked by the same parser and whitelist as a query or a sharing criteria rule.
 */
export function checkFilter(filter: unknown, events: readonly string[]): void {
  if (filter === null || filter === undefined) return;
  const objects = [...new Set(events.map((e) => e.split('.')[0]))];
  if (objects.length !== 1) throw invalid('filter', `a filter applies to the events of one object; events name ${objects.join(', ')}`);
  checkCriteria(CATALOG, objects[0] as ObjectType, filter, 'filter');
}

const COLUMNS = `id, url, events, filter, active, consecutive_failures as "consecutiveFailures", disabled_at as "disabledAt",
  created_by as "createdBy", created_at as "createdAt", updated_at as "updatedAt"`;

export async function listSubscriptions(db: Db, orgId: string): Promise<Subscription[]> {
  const { rows } = await db.query<Subscription>(
    `select ${COLUMNS} from webhook_subscriptions where org_id = $1 order by created_at desc, id desc limit ${MAX_SUBSCRIPTIONS * 2}`,
    [orgId],
  );
  return rows;
}

export async function getSubscription(db: Db, orgId: string, id: string): Promise<Subscription> {
  const { rows } = await db.query<Subscription>(`select ${COLUMNS} from webhook_subscriptions where org_id = $1 and id = $2`, [orgId, id.toLowerCase()]);
  if (!rows[0]) throw new AppError('not_found', 'No such webhook.');
  return rows[0];
}

/** A `whsec_` secret: 32 random bytes, base64 (what the standardwebhooks libraries decode). */
export function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

export interface SubscriptionInput {
  url: string;
  events: string[];
  filter: Record<string, unknown> | null;
  active: boolean;
}

/** What a subscription's sealed secret is bound to: its row (src/core/seal.ts). */
export const secretBinding = (orgId: string, id: string) => `webhook_subscriptions/${orgId}/${id.toLowerCase()}`;

/** A subscription's signing secret, opened (sealed ones) or as stored (plaintext from before sealing). */
export const openSecret = (secretsKey: string, orgId: string, id: string, stored: string) => unseal(secretsKey, stored, secretBinding(orgId, id));

/**
 * Inserts a subscription unless the org has MAX_SUBSCRIPTIONS already (one statement). Its
 * secret is stored sealed under `secretsKey`, bound to the row (its id is made here for that).
 */
export async function insertSubscription(db: Db, auth: Auth, input: SubscriptionInput, secret: string, secretsKey: string): Promise<Subscription> {
  const id = crypto.randomUUID();
  const sealed = await seal(secretsKey, secret, secretBinding(auth.orgId, id));
  const { rows } = await db.query<Subscription>(
    `insert into webhook_subscriptions (id, org_id, url, events, filter, secret, active, created_by)
     select $9, $1, $2, $3::text[], $4::jsonb, $5, $6, $7
     where (select count(*) from webhook_subscriptions where org_id = $1) < $8
     returning ${COLUMNS}`,
    [
      auth.orgId,
      input.url,
      input.events,
      input.filter === null ? null : JSON.stringify(input.filter),
      sealed,
      input.active,
      auth.userId,
      MAX_SUBSCRIPTIONS,
      id,
    ],
  );
  if (!rows[0])
    throw new AppError('constraint_violation', `An org has at most ${MAX_SUBSCRIPTIONS} webhooks; delete one first.`, undefined, undefined, 'max_webhooks');
  return rows[0];
}

/** Stores the merged subscription; turning it on again clears its failure count and `disabled_at`. */
export async function updateSubscription(db: Db, orgId: string, id: string, input: SubscriptionInput): Promise<Subscription> {
  const { rows } = await db.query<Subscription>(
    `update webhook_subscriptions set url = $3, events = $4::text[], filter = $5::jsonb,
       consecutive_failures = case when $6 and not active then 0 else consecutive_failures end,
       disabled_at = case when $6 then null else disabled_at end,
       active = $6, updated_at = now()
     where org_id = $1 and id = $2 returning ${COLUMNS}`,
    [orgId, id, input.url, input.events, input.filter === null ? null : JSON.stringify(input.filter), input.active],
  );
  if (!rows[0]) throw new AppError('not_found', 'No such webhook.');
  return rows[0];
}

export async function deleteSubscription(db: Db, orgId: string, id: string): Promise<void> {
  const { rows } = await db.query(`delete from webhook_subscriptions where org_id = $1 and id = $2 returning id`, [orgId, id.toLowerCase()]);
  if (!rows[0]) throw new AppError('not_found', 'No such webhook.');
}

/** Subscriptions sealed per cron run, at most. */
const SEAL_BATCH = 200;

/**
 * Seals secrets stored in plaintext before sealing existed (the `*\/15` cron), a batch per run,
 * each row only if it still holds the value read. Returns how many it sealed.
 */
export async function sealPlaintextSecrets(db: Db, secretsKey: string): Promise<number> {
  const { rows } = await db.query<{ org_id: string; id: string; secret: string }>(
    `select org_id, id, secret from webhook_subscriptions where secret not like 'sealed:%' limit ${SEAL_BATCH}`,
    [],
  );
  if (!rows.length) return 0;
  const sealed = await Promise.all(rows.map((r) => seal(secretsKey, r.secret, secretBinding(r.org_id, r.id))));
  const done = await db.query(
    `update webhook_subscriptions s set secret = u.sealed
     from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) as u(org_id, id, plain, sealed)
     where s.org_id = u.org_id and s.id = u.id and s.secret = u.plain returning s.id`,
    [rows.map((r) => r.org_id), rows.map((r) => r.id), rows.map((r) => r.secret), sealed],
  );
  return done.rows.length;
}
