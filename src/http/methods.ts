import type { Context } from 'hono';
import { METHOD_NAME_ALL } from 'hono/router';
import { TrieRouter } from 'hono/router/trie-router';
import type { RouterRoute } from 'hono/types';
import { AppError } from '../core/errors';

/**
 * What a request no route answered gets: a 405 with `Allow` when its path is served with other
 * methods, else a 404. The methods come from the app's registered routes, never a hand-kept list:
 * HEAD wherever GET is (Hono serves HEAD with the GET route), and OPTIONS on every served path
 * (the CORS middleware answers it before routing).
 */
export function routeMiss(routes: () => RouterRoute[]): (c: Context) => AppError {
  let table: { router: TrieRouter<string>; methods: string[] } | undefined;
  // Built on the first miss, when every route has been registered.
  const build = () => {
    const router = new TrieRouter<string>();
    const methods = new Set<string>();
    for (const route of routes()) {
      if (route.method === METHOD_NAME_ALL) continue; // middleware, not a route
      router.add(route.method, route.path, route.method);
      methods.add(route.method);
    }
    return { router, methods: [...methods] };
  };
  return (c) => {
    table ??= build();
    const { router, methods } = table;
    const path = new URL(c.req.url).pathname;
    const served = new Set(methods.filter((m) => router.match(m, c.req.path)[0].length > 0));
    if (served.has('GET')) served.add('HEAD');
    if (served.size > 0) served.add('OPTIONS');
    if (served.size === 0 || served.has(c.req.method)) return new AppError('not_found', `No route for ${c.req.method} ${path}.`);
    const allow = [...served].sort().join(', ');
    return new AppError('method_not_allowed', `${c.req.method} is not allowed on ${path}; it takes ${allow}.`, undefined, { Allow: allow });
  };
}
