import { DEFAULT_ASYNC_PREFIX } from "@repo/shared-settings";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponseObject } from "zod-openapi";
import { api } from "./api.ts";
import { type Controller, type EndpointContract, openApiPath } from "./contract.ts";
import { publishTrimmedLength } from "./json-schema.ts";
import { PROBLEM_CONTENT_TYPE, ProblemDetails } from "./problem.ts";
import type { RateLimit } from "./rate-limit.ts";
import { bearerJwt, requiredSecurity, type SecurityRequirement } from "./security.ts";
import { streamPaths } from "./streams.ts"; // #example

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "The request breaks the contract: each failing field is listed in `errors`",
  401: "No bearer token, or one that is expired, malformed or not signed with the API's key (`WWW-Authenticate` says which)",
  403: "The token is valid but does not grant the scope this needs (`WWW-Authenticate: ... scope=`)",
  404: "Not found",
  413: "The body is larger than the server accepts",
  415: "The body is not JSON",
  500: "Unexpected error; its details are hidden in production",
  502: "An upstream failed",
  503: "Not ready: the process is draining",
  504: "An upstream did not answer in time",
};

function problemResponse(status: number) {
  return {
    description: STATUS_TEXT[status] ?? `HTTP ${status}`,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemDetails } },
  };
}

/** The 429 of a rate-limited endpoint: its declared limit, and the headers that tell the client. */
function rateLimitResponse({ limit, windowMs }: RateLimit): ZodOpenApiResponseObject {
  return {
    ...problemResponse(429),
    description: `More than ${limit} requests from one client in ${windowMs / 1_000} s (the declared limit; settings may change it)`,
    headers: {
      "retry-after": { description: "Seconds until the window resets", schema: { type: "integer" } },
      ratelimit: {
        description: 'The quota left (draft-ietf-httpapi-ratelimit-headers): `"<policy>"; r=<remaining>; t=<seconds>`',
        schema: { type: "string" },
      },
      "ratelimit-policy": {
        description: 'The policy: `"<policy>"; q=<limit>; w=<window seconds>; pk=:<partition>:`',
        schema: { type: "string" },
      },
    },
  };
}

/** An operation's `security`, and the 401 and 403 answers it then may give. */
function securityOf(requirement: SecurityRequirement | undefined) {
  if (!requirement) return {};
  return {
    security: [{ [requirement.scheme.name]: [...requirement.scopes] }],
    responses: { "401": problemResponse(401), "403": problemResponse(403) },
  };
}

function operation(ctrl: Controller, name: string, endpoint: EndpointContract): ZodOpenApiOperationObject {
  const secured = securityOf(requiredSecurity(ctrl.security, endpoint.security));
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, schema] of Object.entries(endpoint.responses)) {
    const code = Number(status);
    if (schema === null) responses[status] = { description: STATUS_TEXT[code] ?? `HTTP ${status}` };
    else if (code >= 400)
      responses[status] = { ...problemResponse(code), content: { [PROBLEM_CONTENT_TYPE]: { schema } } };
    else
      responses[status] = {
        description: STATUS_TEXT[code] ?? `HTTP ${status}`,
        content: { "application/json": { schema } },
      };
  }
  // The answers every endpoint may give besides its own, from the validation and error layers.
  const takesInput = endpoint.params || endpoint.query || endpoint.headers || endpoint.body;
  if (takesInput) responses["400"] ??= problemResponse(400);
  Object.assign(responses, secured.responses);
  if (endpoint.body) {
    responses["413"] ??= problemResponse(413);
    responses["415"] ??= problemResponse(415);
  }
  if (endpoint.rateLimit) responses["429"] ??= rateLimitResponse(endpoint.rateLimit);
  responses["500"] ??= problemResponse(500);

  return {
    operationId: `${ctrl.name}.${name}`,
    summary: endpoint.summary,
    ...(endpoint.description ? { description: endpoint.description } : {}),
    tags: [ctrl.name],
    "x-runtime": ctrl.runtime,
    ...(endpoint.rateLimit ? { "x-ratelimit": endpoint.rateLimit } : {}),
    requestParams: {
      ...(endpoint.params ? { path: endpoint.params } : {}),
      ...(endpoint.query ? { query: endpoint.query } : {}),
      ...(endpoint.headers ? { header: endpoint.headers } : {}),
    },
    ...(endpoint.body
      ? { requestBody: { required: true, content: { "application/json": { schema: endpoint.body } } } }
      : {}),
    ...(secured.security ? { security: secured.security } : {}),
    responses,
  };
}

/**
 * One OpenAPI 3.1 document for the whole API, both apps: async paths carry the async prefix, as
 * the proxy serves them. `x-runtime` tells which app answers each operation.
 */
export function openApiDocument({
  asyncPrefix = DEFAULT_ASYNC_PREFIX,
  controllers = [...api.sync, ...api.async],
}: {
  asyncPrefix?: string;
  /** What it describes: the whole API unless told otherwise (a test describes its own). */
  controllers?: readonly Controller[];
} = {}): OpenApiDocument {
  const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  for (const ctrl of controllers) {
    for (const [name, endpoint] of Object.entries(ctrl.endpoints)) {
      if (endpoint.internal) continue;
      const path = `${ctrl.runtime === "async" ? asyncPrefix : ""}${openApiPath(endpoint.path)}`;
      paths[path] ??= {};
      paths[path][endpoint.method.toLowerCase()] = operation(ctrl, name, endpoint);
    }
  }
  Object.assign(paths, streamPaths(asyncPrefix, securityOf)); // #example
  const document = createDocument(
    {
      openapi: "3.1.0",
      info: {
        title: "api-starter",
        version: "0.0.0",
        description:
          "Both apps behind one origin: paths under the async prefix are served by async-api (Fastify), the rest by sync-api (Express). Errors are RFC 9457 problem details.",
      },
      paths,
      components: {
        securitySchemes: {
          [bearerJwt.name]: {
            type: bearerJwt.type,
            scheme: bearerJwt.scheme,
            bearerFormat: bearerJwt.bearerFormat,
            description:
              "A JWT signed with the API's key (HS256), for its issuer and audience; `pnpm token` prints one in development",
          },
        },
      },
    },
    // JSON Schema has no trim: a trimming string's minimum is published as a pattern too.
    { override: publishTrimmedLength },
  );
  return document as unknown as OpenApiDocument;
}

/** The document as JSON: what `/openapi.json` serves and `openapi.json` holds. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly paths: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly components?: Readonly<Record<string, unknown>>;
}
