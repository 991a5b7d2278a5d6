// Verify a credential the portal issued with Digital Bazaar's Data Integrity libraries (an implementation of the
// W3C specifications independent of ours): node verify_credential.mjs CREDENTIAL.json KEY_OR_CONTROLLER.json
// The second file is the board's published key document (/verify/keys/board.json) or its DID document
// (/.well-known/did.json). Nothing is fetched from the network. Prints {"verified": …} and exits 0 when verified.
import {readFileSync} from 'node:fs';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import jsigs from 'jsonld-signatures';

const {purposes: {AssertionProofPurpose}} = jsigs;
const [credentialPath, publishedPath] = process.argv.slice(2);
const credential = JSON.parse(readFileSync(credentialPath, 'utf8'));
const published = JSON.parse(readFileSync(publishedPath, 'utf8'));

// A DID document lists its keys; a key document is one key, whose controller is then described here.
const controller = published.verificationMethod ? published : {
  '@context': ['https://www.w3.org/ns/cid/v1'],
  id: published.controller,
  verificationMethod: [published],
  assertionMethod: [published.id],
};
const documents = {[controller.id]: controller};
for (const method of controller.verificationMethod) {
  documents[method.id] = {'@context': ['https://w3id.org/security/multikey/v1'], ...method};
}
const documentLoader = async url => {
  if (documents[url]) {
    return {contextUrl: null, documentUrl: url, document: documents[url]};
  }
  throw new Error(`not available offline: ${url}`);
};

const result = await jsigs.verify(credential, {
  suite: new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()}),
  purpose: new AssertionProofPurpose({controller}),
  documentLoader,
});
const error = result.error ? String(result.error.errors ?? result.error) : null;
console.log(JSON.stringify({verified: result.verified, error}));
process.exit(result.verified ? 0 : 1);
