import { restErrorBody, SfError, sfErrors } from '../errors.ts';
import { collectionRoutes } from './collections.ts';
import { compositeRoutes } from './composite.ts';
import type { RestContext, RestRequest, RestResponse, Route } from './context.ts';
import { queryRoutes } from './query.ts';
import { resourceRoutes } from './resources.ts';
import { sobjectRoutes } from './sobjects.ts';
import { toolingRoutes } from './tooling.ts';

/**
 * Dispatches one REST call below `/services/data/vNN.N`. It is transport-free so the
 * Composite resource runs its subrequests through exactly the same code as HTTP calls.
 */
export function dispatch(ctx: RestContext, req: RestRequest): RestResponse {
  let pathMatched = false;
  for (const route of routes) {
    const found = route.pattern.exec(req.path);
    if (!found) continue;
    pathMatched = true;
    if (route.method !== '*' && route.method !== req.method) continue;
    try {
      return route.handle(
        ctx,
        req,
        found.slice(1).map((p) => p ?? ''),
      );
    } catch (error) {
      if (error instanceof SfError) {
        if (error.status === 300) return { status: 300, body: error.extra?.urls ?? [] };
        return { status: error.status, body: restErrorBody(error) };
      }
      throw error;
    }
  }
  const error = pathMatched ? sfErrors.methodNotAllowed(req.method) : sfErrors.notFound();
  return { status: error.status, body: restErrorBody(error) };
}

const routes: Route[] = [
  ...resourceRoutes,
  ...sobjectRoutes,
  ...queryRoutes,
  ...collectionRoutes,
  ...compositeRoutes(dispatch),
  ...toolingRoutes,
];
