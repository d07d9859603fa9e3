import { z } from "zod";
import { layer } from "../layer.ts";

/** How both apps handle HTTP requests: body limit, response checks, what errors reveal. */
export const httpSchema = {
  http: z.strictObject({
    /**
     * Largest request body accepted, in bytes; a larger one is a 413 problem. Equal to the
     * proxy's limit (nginx's `client_max_body_size`, 1m by default), so both refuse the same.
     */
    bodyLimitBytes: z.int().positive(),
    /** Check every response against its contract; a mismatch is a loud 500 naming the contract. */
    responseValidation: z.boolean(),
    /** Put an unexpected error's message in its 500 problem (never in production). */
    exposeErrors: z.boolean(),
  }),
};

export const httpLayer = layer("shared/http", {
  http: { bodyLimitBytes: 1_048_576, responseValidation: false, exposeErrors: false },
});

/** Response checks on while developing and testing; error details only on a developer's machine. */
export const httpByEnvironment = {
  development: { http: { responseValidation: true, exposeErrors: true } },
  test: { http: { responseValidation: true } },
};
