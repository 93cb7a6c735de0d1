import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { AppDeps } from '../app-deps';
import type { DialectId } from '../routes';

/** What a route handler returns; the plumbing adds headers and serialises. */
export interface HttpResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One parsed request as a route handler sees it. */
export interface RouteRequest {
  event: APIGatewayProxyEvent;
  /** The parsed body (JSON, or form fields where the dialect accepts forms). */
  body: unknown;
  /** The body as the client sent it (decoded from base64 if need be), '' without one: for signatures. */
  rawBody: string;
  /** Request headers with lower-case names. */
  headers: Record<string, string>;
  query: Record<string, string>;
  pathParameters: Record<string, string>;
  deps: AppDeps;
  /** The Lambda context (remaining time for idempotency records). */
  context: Context;
}

export type RouteHandler = (request: RouteRequest) => Promise<HttpResponse>;

/** A dialect: its handlers by operationId and its one error mapper. */
export interface DialectSpec {
  dialect: DialectId;
  handlers: Record<string, RouteHandler>;
  /** Turns any error into this dialect's error shape and status (never throws). */
  mapError: (error: unknown) => HttpResponse;
  /** Accept `application/x-www-form-urlencoded` bodies as well as JSON (LoginRadius). */
  formBodies?: boolean;
}

export type LambdaHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
