import { App } from 'aws-cdk-lib';
import { addOtpService } from '../lib/otp-app';

/** The CDK app: one environment-agnostic stack, checked by cdk-nag on every synth (see lib/otp-app.ts). */
addOtpService(new App());
