// Enumerations shared by the Drizzle schema (check constraints) and the zod schemas.
export const USER_ROLES = ['admin', 'manager', 'member'] as const;
export const GENDERS = ['female', 'male', 'other', 'unknown'] as const;
export const CONTACT_STATUSES = ['active', 'inactive', 'archived'] as const;
export const LIFECYCLE_STAGES = ['subscriber', 'lead', 'mql', 'sql', 'opportunity', 'customer', 'evangelist'] as const;
export const SOURCES = ['web', 'referral', 'event', 'ads', 'import', 'partner', 'cold_outreach'] as const;
export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'unqualified', 'converted'] as const;
export const DEAL_STATUSES = ['open', 'won', 'lost'] as const;
// reminder: a dated nudge on a record (seed 004's contact timeline), due_at required in spirit, not by the database.
export const ACTIVITY_TYPES = ['call', 'email', 'meeting', 'task', 'note', 'message', 'reminder'] as const;
export const ACTIVITY_STATUSES = ['pending', 'in_progress', 'completed', 'cancelled'] as const;
export const ACTIVITY_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export const SIZE_BANDS = ['1-10', '11-50', '51-200', '201-1000', '1001-5000', '5000+'] as const;
export const SHARED_OBJECT_TYPES = ['contact', 'company', 'lead', 'deal', 'activity'] as const;
export const SHARING_DEFAULTS = ['private', 'public_read', 'public_read_write'] as const;
export const ACCESS_LEVELS = ['read', 'edit'] as const;
export const PRINCIPAL_TYPES = ['user', 'team', 'role'] as const;
export const SHARING_RULE_KINDS = ['owner', 'criteria'] as const;
export const EXPORT_FORMATS = ['csv', 'ndjson', 'json'] as const;
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
/** An export also expires: its object deleted by the daily cron after `expires_at`. */
export const EXPORT_STATUSES = [...JOB_STATUSES, 'expired'] as const;
export const STEP_CLASSES = ['io', 'cpu', 'mixed'] as const;
/** Objects whose committed writes are webhook events (`contact.created`, …), and the actions. */
export const WEBHOOK_OBJECTS = ['contact', 'company', 'lead', 'deal', 'activity'] as const;
export const WEBHOOK_ACTIONS = ['created', 'updated', 'deleted', 'restored'] as const;
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
