/* Ed25519 as strict as libsodium (crypto_sign_verify_detached), before WebCrypto's verify.
   WebCrypto follows RFC 8032 and accepts public keys and R values of small order: a key of
   small order "signs" any message without a private key. The server, `verify`, the monitor
   and the witness refuse them (ledger/ed25519_strict.py, docs/protocol.md "Ed25519
   strictness"); this file makes the browser refuse the same signatures.

   ed25519StrictPrecheck(publicKeyBytes, signatureBytes) returns null when the key and the
   signature pass libsodium's checks, else a short reason:
   - S (last 32 bytes, little-endian) < L;
   - R (first 32 bytes) not of small order and canonical (y < p);
   - the public key canonical (y < p) and not of small order.
   Small order as libsodium judges it: the first 31 bytes and the last byte without its sign
   bit equal one of seven encodings. The equation itself is left to WebCrypto (cofactorless,
   R compared byte for byte). */
(function (global) {
  "use strict";
  var P = (1n << 255n) - 19n;
  var L = (1n << 252n) + 27742317777372353535851937790883648493n;
  var Y_MASK = (1n << 255n) - 1n;
  var SMALL_ORDER = [
    "0000000000000000000000000000000000000000000000000000000000000000", // order 4
    "0100000000000000000000000000000000000000000000000000000000000000", // the identity
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p - 1, order 2
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p: a non-canonical 0
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"  // p + 1: a non-canonical 1
  ];

  function bytesOf(value) {
    if (value instanceof Uint8Array) return value;
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return null;
  }
  function littleEndian(bytes) {
    var n = 0n;
    for (var i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
    return n;
  }
  function hexByte(b) { return ("0" + b.toString(16)).slice(-2); }
  function hasSmallOrder(point) {
    var text = "";
    for (var i = 0; i < 31; i++) text += hexByte(point[i]);
    text += hexByte(point[31] & 0x7f);
    return SMALL_ORDER.indexOf(text) >= 0;
  }
  function isCanonical(point) { return (littleEndian(point) & Y_MASK) < P; }

  global.ed25519StrictPrecheck = function (publicKeyBytes, signatureBytes) {
    var publicKey = bytesOf(publicKeyBytes), signature = bytesOf(signatureBytes);
    if (!publicKey || publicKey.length !== 32) return "an Ed25519 public key is 32 bytes";
    if (!signature || signature.length !== 64) return "an Ed25519 signature is 64 bytes";
    var r = signature.subarray(0, 32), s = signature.subarray(32, 64);
    if (littleEndian(s) >= L) return "S is not canonical (S >= L)";
    if (hasSmallOrder(r)) return "R is a point of small order";
    if (!isCanonical(r)) return "R is not canonically encoded (y >= p)";
    if (!isCanonical(publicKey)) return "the public key is not canonically encoded (y >= p)";
    if (hasSmallOrder(publicKey)) return "the public key is a point of small order";
    return null;
  };
})(typeof window !== "undefined" ? window : globalThis);
