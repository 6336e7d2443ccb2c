/* pe: headers and version resource of a Windows PE file (.exe, .dll, .sys)
 * held in memory: what Explorer shows as CompanyName, ProductName, File
 * version..., used to describe autostart targets and to decide patch status
 * from the real file version of a system file.
 *
 * Pure code over a memory buffer, like lnk: every offset, size and count in
 * the file is checked before use, so hostile files give an error, never a
 * read outside [data, data + size). Nothing here prints or exits.
 */
#ifndef KENSHU_PE_H
#define KENSHU_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* COFF Machine values callers are likely to meet. */
#define PE_MACHINE_I386  0x014Cu
#define PE_MACHINE_AMD64 0x8664u
#define PE_MACHINE_ARMNT 0x01C4u
#define PE_MACHINE_ARM64 0xAA64u

/* Optional header Subsystem values (drivers are NATIVE). */
#define PE_SUBSYSTEM_NATIVE      1u
#define PE_SUBSYSTEM_WINDOWS_GUI 2u
#define PE_SUBSYSTEM_WINDOWS_CUI 3u

/* "65535.65535.65535.65535" and its NUL. */
#define PE_VERSION_BUFSZ 24

struct pe_info {
	bool is_pe;          /* MZ header whose e_lfanew points at "PE\0\0" */
	bool is_dll;         /* COFF Characteristics has IMAGE_FILE_DLL */
	bool is_64;          /* PE32+ optional header (magic 0x20B) */
	uint16_t machine;    /* COFF Machine: PE_MACHINE_* */
	uint16_t subsystem;  /* PE_SUBSYSTEM_* */

	bool has_version;    /* an RT_VERSION resource holding a VS_VERSIONINFO */
	/* VS_FIXEDFILEINFO was present with its signature: only then do the two
	 * arrays below mean anything (else they are zero). This binary version is
	 * what Windows Update compares; the strings are free text. Parts are
	 * major, minor, build, revision: {6, 1, 7601, 23689}. */
	bool has_fixed;
	uint16_t file_version[4];
	uint16_t product_version[4];

	/* From the StringFileInfo table chosen among several: 040904B0, else
	 * 040904E4, else the first one. UTF-8, owned, NULL when the key is
	 * absent or its value empty. */
	char *company;             /* CompanyName */
	char *product;             /* ProductName */
	char *file_version_str;    /* FileVersion */
	char *product_version_str; /* ProductVersion */
	char *original_filename;   /* OriginalFilename */
	char *file_description;    /* FileDescription */
	char *internal_name;       /* InternalName */
};

/* Parses the size bytes at data into *out. Returns 0 when the headers (and
 * the version resource, if any) were read: is_pe says whether the file is a
 * PE at all (text, an empty file or a DOS program are not), has_version
 * whether it has version information. Returns -1 for a damaged PE, with a
 * one-line lowercase reason in err (no file name: the caller prefixes it),
 * e.g. "section table (9 sections at byte 392) runs past the end of the file
 * (1024 bytes)". On -1 *out holds nothing to free and has_version is false;
 * is_pe, is_dll, is_64, machine and subsystem keep what the headers said if
 * they were read that far. */
int pe_parse(const void *data, size_t size, struct pe_info *out,
	     char *err, size_t errlen);

/* Frees what pe_parse allocated and zeroes *pi. Accepts a zeroed *pi. */
void pe_info_release(struct pe_info *pi);

/* Writes v as "10.0.17763.1" into buf and returns buf. */
const char *pe_version_fmt(const uint16_t v[4], char buf[PE_VERSION_BUFSZ]);

/* Parses "6.1.7601.23689" (one to four decimal parts, each at most 65535;
 * missing parts are 0) into v. Returns 0, or -1 (v untouched) for anything
 * else, trailing text included. */
int pe_version_parse(const char *s, uint16_t v[4]);

/* Compares part by part: <0, 0 or >0 as a is older than, equal to or newer
 * than b. */
int pe_version_cmp(const uint16_t a[4], const uint16_t b[4]);

#endif
