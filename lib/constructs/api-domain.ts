import { CfnOutput } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { CustomDomainSettings } from '../settings';

export interface ApiDomainProps {
  readonly api: apigateway.RestApi;
  readonly domain: CustomDomainSettings;
}

/**
 * The API under the operator's own name: a regional API Gateway custom domain with the operator's
 * ACM certificate (same region), TLS 1.2, a base path mapping to the API's stage, and, given a
 * Route 53 hosted zone, an alias record. Vendor clients then use `https://<domainName>/<basePath>`
 * as their base URL. Without a zone, point a CNAME at the `CustomDomainTarget` output.
 * The web ACL stays on the stage, so it filters requests through the domain too.
 */
export class ApiDomain extends Construct {
  readonly domainName: apigateway.DomainName;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiDomainProps) {
    super(scope, id);
    const { domain } = props;
    this.domainName = new apigateway.DomainName(this, 'Domain', {
      domainName: domain.domainName,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn),
      endpointType: apigateway.EndpointType.REGIONAL,
      securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
    });
    this.domainName.addBasePathMapping(props.api, {
      stage: props.api.deploymentStage,
      ...(domain.basePath !== undefined && { basePath: domain.basePath }),
    });
    if (domain.hostedZone) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: domain.hostedZone.id,
        zoneName: domain.hostedZone.name,
      });
      new route53.ARecord(this, 'Alias', {
        zone,
        recordName: `${domain.domainName}.`,
        target: route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(this.domainName)),
      });
    } else {
      new CfnOutput(this, 'Target', {
        description: `Operator action: CNAME ${domain.domainName} to this name (no hostedZoneId was given)`,
        value: this.domainName.domainNameAliasDomainName,
      });
    }
    this.url = `https://${domain.domainName}/${domain.basePath ? `${domain.basePath}/` : ''}`;
  }
}
