/**
 * The one place a failure becomes an HTTP answer: `{ code, message }` with a catalogue code and its
 * status. SwarmErrors keep their code; Fastify's and @fastify/static's errors are mapped by status;
 * anything else is INTERNAL, logged with its stack and answered without details.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, isSwarmError, type ErrorCode } from '../protocol/index.js';

/** What the edge answers for one failure. */
export interface ErrorAnswer {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
}

/** Statuses that framework errors arrive with, and the catalogue code each becomes. */
const BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  403: 'PATH_FORBIDDEN',
  404: 'NOT_FOUND',
  416: 'RANGE_NOT_SATISFIABLE',
};

/** Maps any thrown value to the answer the client gets. */
export function errorToAnswer(error: unknown): ErrorAnswer {
  if (isSwarmError(error)) return { status: ERROR_CATALOGUE[error.code].status, code: error.code, message: error.message };
  const e = error as Partial<FastifyError> | undefined;
  const status = typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode <= 599 ? e.statusCode : 500;
  const mapped = BY_STATUS[status];
  // The catalogue's wording, not the framework's: it never echoes a path back.
  if (mapped) return { status, code: mapped, message: ERROR_CATALOGUE[mapped].summary };
  if (status >= 500) return { status: 500, code: 'INTERNAL', message: ERROR_CATALOGUE.INTERNAL.summary };
  // Other 4xx (schema validation, body too large, bad content type): the client's mistake, and
  // Fastify's message says which.
  return { status, code: 'REQUEST_INVALID', message: typeof e?.message === 'string' ? e.message : ERROR_CATALOGUE.REQUEST_INVALID.summary };
}

/** Sends an error answer (and logs server faults with their stack). */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const answer = errorToAnswer(error);
  if (answer.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.debug({ code: answer.code }, answer.message);
  return reply
    .code(answer.status)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send({ code: answer.code, message: answer.message });
}

/**
 * Installs the JSON error and not-found handlers on a scope. A host app that already set its own
 * not-found handler keeps it: Fastify allows one per prefix, and the host's page is its choice.
 */
export function installErrorHandling(scope: FastifyInstance): void {
  scope.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  try {
    scope.setNotFoundHandler((request, reply) => sendError({ statusCode: 404 }, request, reply));
  } catch (error) {
    scope.log.debug({ err: error }, 'the host app has its own not-found handler; keeping it');
  }
}
