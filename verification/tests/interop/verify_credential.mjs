// Verify a credential the portal issued with Digital Bazaar's libraries (implementations of the W3C specifications
// independent of ours): node verify_credential.mjs CREDENTIAL.json KEY_OR_CONTROLLER.json
// The second file is the board's published key document (/verify/keys/board.json) or its DID document
// (/.well-known/did.json). Nothing is fetched from the network: the JSON-LD contexts are the ones the repository
// keeps in verification/contexts/ (index.json), any other URL fails.
//
// Each proof is checked on its own with jsonld-signatures and @digitalbazaar/data-integrity: the eddsa-jcs-2022
// proof with @digitalbazaar/eddsa-jcs-2022-cryptosuite, the eddsa-rdfc-2022 proof with
// @digitalbazaar/eddsa-rdfc-2022-cryptosuite when it is installed, else with the same four parts that package is
// made of (jsonld's toRDF in safe mode + rdf-canonize RDFC-1.0 + @digitalbazaar/ed25519-multikey, name and
// algorithm). The credential is also expanded with jsonld.js in safe mode, which fails on any undefined term.
// Prints {"verified": …, "proofs": {cryptosuite: {"verified": …, "error": …}}, "expanded": …, …}; exits 0 when
// every proof the credential carries verifies and the expansion succeeds.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import jsonld from 'jsonld';
import jsigs from 'jsonld-signatures';
import * as rdfCanonize from 'rdf-canonize';

const {purposes: {AssertionProofPurpose}} = jsigs;
const [credentialPath, publishedPath] = process.argv.slice(2);
const credential = JSON.parse(readFileSync(credentialPath, 'utf8'));
const published = JSON.parse(readFileSync(publishedPath, 'utf8'));

// The contexts the repository keeps, by URL.
const contextsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'contexts');
const index = JSON.parse(readFileSync(join(contextsDir, 'index.json'), 'utf8'));
const documents = {};
for(const [url, entry] of Object.entries(index.contexts)) {
  documents[url] = JSON.parse(readFileSync(join(contextsDir, entry.file), 'utf8'));
}

// A DID document lists its keys; a key document is one key, whose controller is then described here.
const controller = published.verificationMethod ? published : {
  '@context': ['https://www.w3.org/ns/cid/v1'],
  id: published.controller,
  verificationMethod: [published],
  assertionMethod: [published.id],
};
documents[controller.id] = controller;
for(const method of controller.verificationMethod) {
  documents[method.id] = {'@context': ['https://w3id.org/security/multikey/v1'], ...method};
}
const documentLoader = async url => {
  if(documents[url]) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(documents[url])};
  }
  throw new Error(`not available offline: ${url}`);
};

// eddsa-rdfc-2022: Digital Bazaar's package when installed, else the same composition of its dependencies.
let rdfcSuite = '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
let rdfcCryptosuite;
try {
  ({cryptosuite: rdfcCryptosuite} = await import(rdfcSuite));
} catch {
  rdfcSuite = 'jsonld + rdf-canonize + @digitalbazaar/ed25519-multikey';
  rdfcCryptosuite = {
    name: 'eddsa-rdfc-2022',
    requiredAlgorithm: 'Ed25519',
    async canonize(input, options) {
      options = {algorithm: 'RDFC-1.0', format: 'application/n-quads', base: null, safe: true, ...options};
      const toRdfOptions = {rdfDirection: 'i18n-datatype', ...options, produceGeneralizedRdf: false};
      delete toRdfOptions.format;
      const dataset = await jsonld.toRDF(input, toRdfOptions);
      return rdfCanonize.canonize(dataset, options);
    },
    async createVerifier({verificationMethod}) {
      return (await Ed25519Multikey.from(verificationMethod)).verifier();
    },
  };
}
const suites = {
  'eddsa-jcs-2022': () => new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()}),
  'eddsa-rdfc-2022': () => new DataIntegrityProof({cryptosuite: rdfcCryptosuite}),
};

const describe = error => error ? String(error.errors ?? error.message ?? error) : null;
const proofs = [credential.proof ?? []].flat();
const outcome = {proofs: {}, rdfcSuite};
for(const cryptosuite of new Set(proofs.map(proof => proof?.cryptosuite))) {
  const suite = suites[cryptosuite];
  if(!suite) {
    outcome.proofs[cryptosuite] = {verified: false, error: 'no verifier for this cryptosuite'};
    continue;
  }
  const result = await jsigs.verify(credential, {
    suite: suite(), purpose: new AssertionProofPurpose({controller}), documentLoader,
  });
  outcome.proofs[cryptosuite] = {verified: result.verified, error: describe(result.error)};
}
try {
  await jsonld.expand(credential, {documentLoader, safe: true});
  outcome.expanded = true;
} catch(error) {
  outcome.expanded = false;
  // jsonld.js names the term (or type) it would have dropped in the details of its safe mode event
  const event = error.details?.event;
  outcome.expansionError = `${error.message} ${event?.code ?? ''} ${JSON.stringify(event?.details ?? {})}`;
}
const results = Object.values(outcome.proofs);
outcome.verified = results.length > 0 && results.every(result => result.verified);
console.log(JSON.stringify(outcome));
process.exit(outcome.verified && outcome.expanded ? 0 : 1);
