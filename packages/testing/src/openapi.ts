import { Validator } from "@seriousme/openapi-schema-validator";

/**
 * Checks a document against the official OpenAPI schema for its version, with a validator
 * library: the version it was validated as, and the errors (none when valid).
 */
export async function validateOpenApi(document: unknown): Promise<{ version: string; errors: unknown[] }> {
  const validator = new Validator();
  const result = await validator.validate(document as Record<string, unknown>);
  return { version: validator.version, errors: result.valid ? [] : [result.errors].flat() };
}
