import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * X-Ray subsegments with Powertools Tracer, for the calls that take a request's time: DynamoDB
 * (every command, through the SDK client) and each channel's send.
 *
 * Loaded lazily: the tracer pulls in the X-Ray SDK (about 125 KB minified; importing it took
 * 80–190 ms on this machine, against under 10 ms for Powertools Metrics), so a function imports it
 * only when tracing is on, and without awaiting it at cold start: the import runs while the first
 * request waits on the network (Secrets Manager, DynamoDB). Calls made before it has loaded (the
 * first DynamoDB reads of a cold start) are untraced; the Lambda segment still covers them.
 *
 * What a trace may hold: subsegment names (`DynamoDB`, `channel SMS`), the channel and tenant id
 * as annotations, the SDK's operation, region, request id and, for DynamoDB, the table name. Never
 * a code, a recipient, a message text or an error message (a provider's error text can quote the
 * phone number): a failed send is marked with the error flag and its error's class name only.
 * Channel SDK clients are not captured for that reason (the X-Ray SDK records a failed call's
 * error message), and neither is outgoing HTTP (`captureHTTPsRequests: false`: a tenant's Zalo URL
 * is its own and the SDK clients would be traced twice).
 */

let loading: Promise<Tracer | undefined> | undefined;
/** The tracer once loaded; requests before then are not held up waiting for it. */
let loaded: Tracer | undefined;

/** The tracer if it has loaded by now (undefined before, and always when tracing is off). */
export const loadedTracer = (): Tracer | undefined => loaded;

/**
 * Starts loading the tracer once per container when `enabled`; resolves to undefined when tracing
 * is off or the import failed (tracing is never worth failing a request for).
 */
export const loadTracer = (enabled: boolean): Promise<Tracer | undefined> => {
  loading ??= enabled
    ? import('@aws-lambda-powertools/tracer')
        .then(({ Tracer }) => {
          loaded = new Tracer({ serviceName: 'otp-service', captureHTTPsRequests: false });
          return loaded;
        })
        .catch(() => undefined)
    : Promise.resolve(undefined);
  return loading;
};

/** Something with an AWS SDK v3 middleware stack (a client). */
type SdkClient = Parameters<Tracer['captureAWSv3Client']>[0];

/** Traces every command of `client` once the tracer has loaded (a no-op when tracing is off). */
export const traceClient = <T extends SdkClient>(tracer: Promise<Tracer | undefined>, client: T): T => {
  void tracer.then((t) => t?.captureAWSv3Client(client));
  return client;
};

/**
 * Runs `work` inside a subsegment `name` of the invocation's segment, with `annotations` (indexed,
 * searchable in X-Ray: never anything personal). On a throw the subsegment gets the error flag
 * and the error's class name, not its message.
 */
export const inSubsegment = async <T>(
  tracer: Tracer | undefined,
  name: string,
  annotations: Record<string, string>,
  work: () => Promise<T>,
): Promise<T> => {
  const parent = tracer?.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!parent) return work();
  const subsegment = parent.addNewSubsegment(name);
  for (const [key, value] of Object.entries(annotations)) subsegment.addAnnotation(key, value);
  try {
    return await work();
  } catch (error) {
    subsegment.addErrorFlag();
    subsegment.addAnnotation('error', error instanceof Error ? error.name : 'unknown');
    throw error;
  } finally {
    subsegment.close();
  }
};
