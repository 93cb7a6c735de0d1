import { sha256 } from '../../crypto';

/**
 * Credential ids of SummitAI proxies in the tenant directory. The request's `OrgID` is part of
 * every id, so the same user name (or key) in two organisations names two tenants.
 */

/** `AuthType: FORM`: one credential per (OrgID, UserName); the secret is the password. */
export const formCredentialId = (orgId: string, userName: string): string => `${orgId}:${userName}`;

/**
 * `AuthType: APIKey`: SummitAI sends only the key, with no separate key id. The id is the key's
 * SHA-256 (the directory stores ids in clear in the item key, so never the key itself); the
 * secret compared in constant time is the key.
 */
export const apiKeyCredentialId = (orgId: string, apiKey: string): string => `${orgId}:${sha256(apiKey)}`;
