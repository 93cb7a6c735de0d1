/** The part of loginradius-sdk 11's API the tests drive (the package ships no types). */
declare module 'loginradius-sdk' {
  export interface LoginRadiusConfig {
    apiKey: string;
    apiSecret: string;
    apiDomain?: string;
    apiRequestSigning?: boolean;
    /**
     * Set by the SDK on the config object it is given: the transport every API method calls,
     * signing (or adding the secret headers) when `queryParameters.apiSecret` is present.
     */
    request?: (
      method: string,
      resourcePath: string,
      queryParameters: Record<string, string>,
      body: unknown,
    ) => Promise<Record<string, unknown>>;
  }
  export interface LoginRadius {
    accountApi: {
      multipurposeSMSOTPGeneration: (
        body: Record<string, string>,
        smsotptype: string,
      ) => Promise<Record<string, unknown>>;
    };
  }
  const loginRadius: (config: LoginRadiusConfig) => LoginRadius;
  export default loginRadius;
}
