/**
 * List prices the cost figures use: AWS us-east-1 (N. Virginia), on-demand, without free tier,
 * as published on the AWS pricing pages in 2025 (DynamoDB's after its 2024-11-01 on-demand price
 * cut). Check them against https://aws.amazon.com/dynamodb/pricing/on-demand/,
 * https://aws.amazon.com/lambda/pricing/ and https://aws.amazon.com/api-gateway/pricing/ before
 * relying on the figures; change them here and rerun `npm run bench`.
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: '2025 list prices (DynamoDB after the 2024-11-01 on-demand cut)',
  /** USD per DynamoDB on-demand write request unit ($0.625 per million). */
  dynamoWriteRequestUnit: 0.625 / 1e6,
  /** USD per DynamoDB on-demand read request unit ($0.125 per million). */
  dynamoReadRequestUnit: 0.125 / 1e6,
  /** USD per Lambda GB-second, arm64 ($0.0000133334; first 6 billion GB-s a month). */
  lambdaGbSecondArm64: 0.0000133334,
  /** USD per Lambda GB-second, x86_64 ($0.0000166667). */
  lambdaGbSecondX86: 0.0000166667,
  /** USD per Lambda request ($0.20 per million). */
  lambdaRequest: 0.2 / 1e6,
  /** USD per API Gateway REST API request ($3.50 per million, first 333 million a month). */
  apiGatewayRestRequest: 3.5 / 1e6,
} as const;

/** What one generate + verify pair uses. */
export interface PairUsage {
  writeUnits: number;
  readUnits: number;
  /** Measured durations of the two invocations (ms); Lambda bills each rounded up to 1 ms. */
  generateMs: number;
  verifyMs: number;
  memoryMb: number;
  architecture: string;
}

/** USD per million generate + verify pairs, by line; SMS (and WAF, logs, X-Ray) excluded. */
export interface PairCost {
  dynamoWrite: number;
  dynamoRead: number;
  lambdaCompute: number;
  lambdaRequests: number;
  apiGateway: number;
  total: number;
}

export const costPerMillionPairs = (u: PairUsage): PairCost => {
  const million = 1e6;
  const gbSeconds = (u.memoryMb / 1024) * ((Math.ceil(u.generateMs) + Math.ceil(u.verifyMs)) / 1000);
  const gbSecondPrice = u.architecture === 'arm64' ? PRICES.lambdaGbSecondArm64 : PRICES.lambdaGbSecondX86;
  const lines = {
    dynamoWrite: u.writeUnits * PRICES.dynamoWriteRequestUnit * million,
    dynamoRead: u.readUnits * PRICES.dynamoReadRequestUnit * million,
    lambdaCompute: gbSeconds * gbSecondPrice * million,
    lambdaRequests: 2 * PRICES.lambdaRequest * million,
    apiGateway: 2 * PRICES.apiGatewayRestRequest * million,
  };
  return { ...lines, total: Object.values(lines).reduce((a, b) => a + b, 0) };
};
