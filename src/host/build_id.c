/* The identity of this build of ssot, recorded in the fingerprint of a run (core.build_id): the
 * GNU build ID the linker writes into the binary or shared module holding this code, which
 * changes with any change to the code or to the embedded modules and templates. Without one,
 * a SHA-256 of the version and the embedded resources. Uses dl_iterate_phdr and OpenSSL. */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include "host/host.h"
#include "host/resources.h"
#include "ssot.h"

#include <elf.h>
#include <link.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Some byte of this object, to find which loaded object holds the code. */
static const char anchor = 1;

typedef struct {
    uintptr_t address; /* of the anchor */
    char *hex;         /* receives the build ID as hex */
    size_t hex_size;
    bool found;
} build_id_search;

static void to_hex(const unsigned char *bytes, size_t n, char *hex, size_t hex_size) {
    static const char digits[] = "0123456789abcdef";
    size_t i = 0;
    for (; i < n && 2 * i + 2 < hex_size; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    hex[2 * i] = '\0';
}

/* Looks for an NT_GNU_BUILD_ID note in one PT_NOTE segment of n bytes at p, whose notes are
 * aligned to align bytes. */
static bool find_note(const unsigned char *p, size_t n, size_t align, build_id_search *s) {
    const unsigned char *end = p + n;
    while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
        const ElfW(Nhdr) *note = (const ElfW(Nhdr) *)(const void *)p;
        size_t name_size = (note->n_namesz + align - 1) & ~(align - 1);
        size_t desc_size = (note->n_descsz + align - 1) & ~(align - 1);
        const unsigned char *name = p + sizeof *note, *desc = name + name_size;
        if ((size_t)(end - name) < name_size || (size_t)(end - desc) < desc_size) return false;
        if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
            note->n_descsz > 0) {
            to_hex(desc, note->n_descsz, s->hex, s->hex_size);
            return true;
        }
        p = desc + desc_size;
    }
    return false;
}

/* dl_iterate_phdr callback: stops at the object holding the anchor. */
static int visit_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    build_id_search *s = data;
    bool holds_anchor = false;
    for (int i = 0; i < info->dlpi_phnum && !holds_anchor; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        holds_anchor = ph->p_type == PT_LOAD && s->address >= start && s->address - start < ph->p_memsz;
    }
    if (!holds_anchor) return 0;
    for (int i = 0; i < info->dlpi_phnum && !s->found; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE) continue;
        size_t align = ph->p_align == 8 ? 8 : 4;
        s->found = find_note((const unsigned char *)(info->dlpi_addr + ph->p_vaddr), ph->p_memsz, align, s);
    }
    return 1;
}

/* The fallback: SHA-256 over the version and every embedded resource (name and content). */
static bool hash_resources(char *hex, size_t hex_size) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
              EVP_DigestUpdate(md, SSOT_VERSION, sizeof SSOT_VERSION);
    for (size_t i = 0; ok && i < ssot_embedded_resource_count; i++) {
        const ssot_resource *r = &ssot_embedded_resources[i];
        char size[32];
        int n = snprintf(size, sizeof size, "\n%zu\n", r->size);
        ok = EVP_DigestUpdate(md, r->name, strlen(r->name)) && EVP_DigestUpdate(md, size, (size_t)n) &&
             EVP_DigestUpdate(md, r->data, r->size);
    }
    ok = ok && EVP_DigestFinal_ex(md, digest, &digest_len);
    EVP_MD_CTX_free(md);
    if (ok) to_hex(digest, digest_len, hex, hex_size);
    return ok;
}

const char *ssot_build_id(void) {
    static char id[160];
    if (id[0]) return id;
    char hex[2 * 64 + 1];
    build_id_search s = {.address = (uintptr_t)&anchor, .hex = hex, .hex_size = sizeof hex, .found = false};
    dl_iterate_phdr(visit_object, &s);
    if (s.found) snprintf(id, sizeof id, "%s gnu-build-id:%s", SSOT_VERSION, hex);
    else if (hash_resources(hex, sizeof hex)) snprintf(id, sizeof id, "%s resources-sha256:%s", SSOT_VERSION, hex);
    else snprintf(id, sizeof id, "%s", SSOT_VERSION);
    return id;
}
