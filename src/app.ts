import { Scalar } from '@scalar/hono-api-reference';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { timing } from 'hono/timing';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, toProblem } from './core/errors';
import { corsPolicy } from './http/cors';
import { responseHeaders } from './http/headers';
import { limitRequestSize } from './http/limits';
import { routeMiss } from './http/methods';
import { createRouter } from './http/openapi';
import { services } from './http/services';
import { activityAnalyticsRoutes } from './resources/analytics/activities';
import { companyAnalyticsRoutes } from './resources/analytics/companies';
import { dealAnalyticsRoutes } from './resources/analytics/deals';
import { facetRoutes } from './resources/analytics/facets';
import { internalRoutes } from './resources/analytics/internal';
import { reportRoutes } from './resources/analytics/reports';
import { timelineRoutes } from './resources/analytics/timeline';
import { appUsersRoutes } from './resources/appusers/routes';
import { auditRoutes } from './resources/audit/routes';
import { exportRoutes } from './resources/exports/routes';
import { linkRoutes } from './resources/links';
import { postgrestRoutes } from './resources/postgrest';
import { resourceRoutes } from './resources/router';
import { accessRoutes } from './resources/sharing/access-route';
import { sharingRoutes } from './resources/sharing/routes';
import { webhookRoutes } from './resources/webhooks/routes';
import { workflowRoutes } from './resources/workflows/routes';
import { writeRoutes } from './resources/writes';
import { systemRoutes } from './routes/system';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** PostgREST clients (postgrest-js) read message/details/hint: the /rest mount adds them to every problem. */
function forClient(path: string, problem: ReturnType<typeof toProblem>) {
  return path.startsWith('/rest/') ? { ...problem, message: problem.detail, details: null, hint: null } : problem;
}

/** The app factory: middleware order, the one error handler, routes mounted. */
export function createApp() {
  const app = createRouter();

  // nosniff (and Cache-Control on private answers) on every response, preflights included: it
  // works only after the rest, so it does not delay the preflight.
  app.use(responseHeaders());
  // First to do work, so a browser's preflight is answered before any other.
  app.use(corsPolicy());
  app.use(
    requestId({
      headerName: 'X-Request-Id',
      generator: () => crypto.randomUUID(),
      limitLength: 128,
    }),
  );
  app.use(async (c, next) => {
    // Echo only ids that are safe to log and to put back into a header.
    if (!REQUEST_ID.test(c.var.requestId)) c.set('requestId', crypto.randomUUID());
    await next();
    c.header('X-Request-Id', c.var.requestId);
  });
  app.use(timing({ totalDescription: 'total', autoEnd: true, crossOrigin: false }));
  app.use(limitRequestSize());
  app.use(services());

  app.route('/', systemRoutes);
  app.route('/', appUsersRoutes);
  app.route('/', auditRoutes());
  // Before the /v1/{resource}/{id} routes: /v1/deals/stats is not a deal's id.
  app.route('/', dealAnalyticsRoutes);
  app.route('/', activityAnalyticsRoutes);
  app.route('/', companyAnalyticsRoutes);
  app.route('/', timelineRoutes);
  app.route('/', internalRoutes);
  app.route('/', facetRoutes);
  app.route('/', reportRoutes);
  app.route('/', exportRoutes);
  app.route('/', workflowRoutes);
  app.route('/', webhookRoutes);
  app.route('/', resourceRoutes());
  app.route('/', writeRoutes());
  app.route('/', linkRoutes());
  app.route('/', sharingRoutes());
  app.route('/', accessRoutes());
  app.route('/', postgrestRoutes);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Edge CRM API', version: '0.1.0', description: 'CRM data API on Cloudflare Workers.' },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'Edge CRM API' }));

  // No route matched: a 405 with Allow when the path takes other methods, else a 404.
  const miss = routeMiss(() => app.routes);
  app.notFound((c) => {
    const err = miss(c);
    const headers = { 'Content-Type': 'application/problem+json', ...err.headers };
    return c.json(forClient(c.req.path, toProblem(err, c.var.requestId)), err.status as ContentfulStatusCode, headers);
  });

  app.onError((err, c) => {
    const requestIdValue = c.var.requestId ?? crypto.randomUUID();
    let appErr: AppError;
    const status = err instanceof HTTPException ? err.status : 0;
    const cause = (err as { cause?: unknown }).cause;
    if (err instanceof AppError) appErr = err;
    // A library's wrapper around our own error: Drizzle's DrizzleQueryError around a statement's
    // mapped database error (a timeout, a lost connection).
    else if (cause instanceof AppError) appErr = cause;
    else if (status === 400) appErr = new AppError('invalid_body', 'The request body is not valid JSON.');
    else if (status === 413) appErr = new AppError('payload_too_large', 'The request body is too large.');
    else if (status === 404) appErr = new AppError('not_found', 'Not found.');
    else {
      appErr = new AppError('internal', 'Something went wrong on our side. Quote the request id when reporting it.');
      const log = c.var.services?.log;
      const detail = { error: String(err), stack: (err as Error)?.stack };
      if (log) log('error', 'unhandled error', detail);
      else console.error(JSON.stringify({ level: 'error', msg: 'unhandled error', requestId: requestIdValue, ...detail }));
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/problem+json', ...appErr.headers };
    return c.json(forClient(c.req.path, toProblem(appErr, requestIdValue)), appErr.status as ContentfulStatusCode, headers);
  });

  return app;
}
