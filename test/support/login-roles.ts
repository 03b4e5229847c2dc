// Test-only roles that log in with `password` (cleartext) and `trust`: pg_hba lines for them
// are added by test/support/login-methods.ts (global setup), read by test/db/wire.test.ts.
export const LOGIN_ROLES = { cleartext: 'crm_wire_password', trust: 'crm_wire_trust' } as const;
