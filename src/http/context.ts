import type { RequestIdVariables } from 'hono/request-id';
import type { TimingVariables } from 'hono/timing';
import type { Auth } from '../core/auth';
import type { Db } from '../db/client';
import type { AppEnv, Vars } from '../env';
import type { Logger } from './logger';

/** Per-request services built once by middleware, read by handlers and verbs. */
export interface Services {
  db: Db;
  log: Logger;
  vars: Vars;
}

export type AppContext = {
  Bindings: AppEnv;
  Variables: TimingVariables &
    RequestIdVariables & {
      services: Services;
      auth: Auth;
    };
};
