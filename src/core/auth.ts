import type { USER_ROLES } from './enums';

/** The caller, as every verb sees it. orgId is the tenant wall for every query. */
export interface Auth {
  userId: string;
  orgId: string;
  role: (typeof USER_ROLES)[number];
}
