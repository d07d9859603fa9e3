// Three ways to serve one validated endpoint on Fastify 5: GET /items?limit=N -> { items, next }.
import Fastify from "fastify";
import { z } from "zod";

const Query = z.object({ limit: z.coerce.number().int().min(1).max(100) });
const items = (limit) => ({
  items: Array.from({ length: limit }, (_, i) => ({ id: i, title: `note ${i}` })),
  next: null,
});

export async function thinLayer() {
  // The starter's way: a native route; zod validation of every part in a route preValidation hook.
  const app = Fastify();
  app.route({
    method: "GET",
    url: "/items",
    preValidation: async (request, reply) => {
      const parsed = Query.safeParse(request.query);
      if (!parsed.success) return reply.code(400).send({ errors: parsed.error.issues });
      request.query = parsed.data;
    },
    handler: async (request) => items(request.query.limit),
  });
  return app;
}

export async function typeProvider() {
  const { validatorCompiler, serializerCompiler } = await import("fastify-type-provider-zod");
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.route({
    method: "GET",
    url: "/items",
    schema: { querystring: Query },
    handler: async (request) => items(request.query.limit),
  });
  return app;
}

export async function orpc() {
  const { os } = await import("@orpc/server");
  const { OpenAPIHandler } = await import("@orpc/openapi/fastify");
  const list = os
    .route({ method: "GET", path: "/items" })
    .input(Query)
    .handler(async ({ input }) => items(input.limit));
  const handler = new OpenAPIHandler({ list });
  const app = Fastify();
  app.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));
  app.all("/*", async (request, reply) => {
    const { matched } = await handler.handle(request, reply, { context: {} });
    if (!matched) reply.status(404).send("Not found");
  });
  return app;
}
