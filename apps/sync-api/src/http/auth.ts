import { type Authenticate, bearerToken, type Principal, type SecurityRequirement } from "@repo/contracts";
import type { NextFunction, Request, RequestHandler, Response } from "express";

declare global {
  namespace Express {
    interface Request {
      /** Who the request's verified bearer token speaks for (routes whose contract requires one). */
      principal?: Principal;
    }
  }
}

/**
 * The middleware that checks a route's security before its body is read and its sync handler
 * runs: awaiting jose's verification here keeps the handler itself synchronous. A refusal is the
 * 401/403 HttpProblem, answered by the app's error handler; `onRefused` is told of it (the metrics).
 */
export function requireToken(
  where: string,
  requirement: SecurityRequirement,
  authenticate?: Authenticate,
  onRefused?: (req: Request) => void,
): RequestHandler {
  if (!authenticate) throw new Error(`${where} requires a bearer token, but sync-api was given no authenticator`);
  return async (req: Request, _res: Response, next: NextFunction) => {
    try {
      req.principal = await authenticate(requirement, bearerToken(req.headers.authorization));
    } catch (error) {
      onRefused?.(req);
      throw error;
    }
    next();
  };
}
