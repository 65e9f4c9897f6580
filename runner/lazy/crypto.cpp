// libcrypto (OpenSSL), loaded on first use (runner/lazy/lazy_lib.hpp): the five functions the
// product calls (SHA-256 of tokens and saved plans, HMAC-SHA256 of webhook signatures, constant-
// time comparison, random tokens), each forwarding to its twin in the library.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "runner/lazy/lazy_lib.hpp"

#ifndef STACKRUN_CRYPTO_SONAME
#error "STACKRUN_CRYPTO_SONAME must name libcrypto's soname (runner/lazy/CMakeLists.txt)"
#endif

#define STACKRUN_CRYPTO(name) STACKRUN_LAZY_REAL(STACKRUN_CRYPTO_SONAME, name)

extern "C" {

const EVP_MD* EVP_sha256(void) {
  STACKRUN_CRYPTO(EVP_sha256);
  return real();
}
int EVP_Digest(const void* data, size_t count, unsigned char* md, unsigned int* size,
               const EVP_MD* type, ENGINE* impl) {
  STACKRUN_CRYPTO(EVP_Digest);
  return real(data, count, md, size, type, impl);
}
unsigned char* HMAC(const EVP_MD* evp_md, const void* key, int key_len, const unsigned char* data,
                    size_t data_len, unsigned char* md, unsigned int* md_len) {
  STACKRUN_CRYPTO(HMAC);
  return real(evp_md, key, key_len, data, data_len, md, md_len);
}
int CRYPTO_memcmp(const void* in_a, const void* in_b, size_t len) {
  STACKRUN_CRYPTO(CRYPTO_memcmp);
  return real(in_a, in_b, len);
}
int RAND_bytes(unsigned char* buf, int num) {
  STACKRUN_CRYPTO(RAND_bytes);
  return real(buf, num);
}

}  // extern "C"
