/* Passkeys (WebAuthn): a form with data-passkey="create" (add a passkey) or "get" (log in with one) carries the
   server's options as JSON in data-options. On submit the browser makes or uses the passkey, its answer goes into
   the form's hidden "credential" field as JSON (binary values in base64url), and the form is sent. Elements with
   data-passkey-supported are shown, and those with data-passkey-unsupported hidden, only where passkeys work. */
(function () {
  "use strict";
  var supported = typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
  document.querySelectorAll("[data-passkey-supported]").forEach(function (el) { el.hidden = !supported; });
  document.querySelectorAll("[data-passkey-unsupported]").forEach(function (el) { el.hidden = supported; });
  if (!supported) { return; }

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: toBytes(d.id) }); });
  }

  function creationOptions(o) {
    return Object.assign({}, o, {
      challenge: toBytes(o.challenge),
      user: Object.assign({}, o.user, { id: toBytes(o.user.id) }),
      excludeCredentials: descriptors(o.excludeCredentials)
    });
  }

  function requestOptions(o) {
    return Object.assign({}, o, { challenge: toBytes(o.challenge), allowCredentials: descriptors(o.allowCredentials) });
  }

  function answer(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) { response.userHandle = toText(r.userHandle); }
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined
    });
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var field = form.querySelector("input[name$='credential']");
    var error = form.querySelector("[data-passkey-error]");
    var busy = false;
    form.addEventListener("submit", function (event) {
      if (field.value) { return; }
      event.preventDefault();
      if (busy || (typeof form.reportValidity === "function" && !form.reportValidity())) { return; }
      busy = true;
      if (error) { error.hidden = true; }
      var options = JSON.parse(form.dataset.options);
      var made = form.dataset.passkey === "create"
        ? navigator.credentials.create({ publicKey: creationOptions(options) })
        : navigator.credentials.get({ publicKey: requestOptions(options) });
      made.then(function (credential) {
        field.value = answer(credential);
        form.submit();
      }).catch(function () {
        busy = false;
        if (error) {
          error.textContent = error.dataset.message;
          error.hidden = false;
          error.focus();
        }
      });
    });
  });
})();
