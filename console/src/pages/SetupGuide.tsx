import { CopyButton } from '../components/CopyButton';
import type { Directory } from '../api';

/** Where to paste the base URL and token in the IdP's own screens. */
export function SetupGuide({ directory }: { directory: Directory }) {
  const url = directory.scimBaseUrl;
  return (
    <section className="guide" aria-label={`Setup guide for ${directory.name}`}>
      <p>
        SCIM base URL: <code>{url}</code> <CopyButton text={url} label="Copy the SCIM base URL" />
      </p>
      {directory.provider === 'entra' ? (
        <ol>
          <li>In the Microsoft Entra admin center open Enterprise applications, your application, Provisioning.</li>
          <li>Set Provisioning Mode to Automatic.</li>
          <li>Paste the SCIM base URL as Tenant URL and the token as Secret Token, then Test Connection.</li>
          <li>Choose the users and groups in scope and turn provisioning on.</li>
        </ol>
      ) : directory.provider === 'okta' ? (
        <ol>
          <li>In the Okta admin console open Applications, your app, General, and enable SCIM provisioning.</li>
          <li>Under Provisioning, Integration: paste the SCIM base URL as SCIM connector base URL, and userName as the unique identifier field.</li>
          <li>Choose Push New Users, Push Profile Updates and Push Groups; authentication mode HTTP Header.</li>
          <li>Paste the token as the Bearer token, Test Connector Configuration, and save.</li>
        </ol>
      ) : (
        <ol>
          <li>Point the SCIM 2.0 client at the SCIM base URL.</li>
          <li>Send the token as <code>Authorization: Bearer &lt;token&gt;</code>.</li>
        </ol>
      )}
    </section>
  );
}
