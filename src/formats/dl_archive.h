/*
 * dl_archive.h — libarchive, opened on first use (formats/dl.h): the
 * functions macext calls, as sym_archive_* pointers typed from <archive.h>.
 * Users: pbzx.c and pkg.c (reading packages), tools/forge_pkg.c (writing
 * them), daemon/serve_upload.c (unpacking uploaded bundles).  Each of their
 * entry points calls mx_dl_archive first.
 */
#ifndef MACEXT_FORMATS_DL_ARCHIVE_H
#define MACEXT_FORMATS_DL_ARCHIVE_H

#include <archive.h>
#include <archive_entry.h>

#include "formats/dl.h"

#define MX_DL_ARCHIVE_SYMS(X) \
	X(archive_entry_filetype) \
	X(archive_entry_free) \
	X(archive_entry_hardlink) \
	X(archive_entry_new) \
	X(archive_entry_pathname) \
	X(archive_entry_perm) \
	X(archive_entry_set_filetype) \
	X(archive_entry_set_mtime) \
	X(archive_entry_set_pathname) \
	X(archive_entry_set_perm) \
	X(archive_entry_set_size) \
	X(archive_entry_set_symlink) \
	X(archive_entry_size) \
	X(archive_entry_size_is_set) \
	X(archive_entry_symlink) \
	X(archive_error_string) \
	X(archive_filter_code) \
	X(archive_read_data) \
	X(archive_read_data_block) \
	X(archive_read_free) \
	X(archive_read_new) \
	X(archive_read_next_header) \
	X(archive_read_open_memory) \
	X(archive_read_support_filter_all) \
	X(archive_read_support_filter_xz) \
	X(archive_read_support_format_cpio) \
	X(archive_read_support_format_raw) \
	X(archive_read_support_format_tar) \
	X(archive_read_support_format_xar) \
	X(archive_read_support_format_zip) \
	X(archive_write_add_filter_gzip) \
	X(archive_write_add_filter_xz) \
	X(archive_write_close) \
	X(archive_write_data) \
	X(archive_write_data_block) \
	X(archive_write_disk_new) \
	X(archive_write_disk_set_options) \
	X(archive_write_finish_entry) \
	X(archive_write_free) \
	X(archive_write_header) \
	X(archive_write_new) \
	X(archive_write_open) \
	X(archive_write_open_filename) \
	X(archive_write_set_bytes_in_last_block) \
	X(archive_write_set_format_cpio_odc) \
	X(archive_write_set_format_raw) \
	X(archive_write_set_format_xar) \
	X(archive_write_set_option) \
	/* end */

MX_DL_ARCHIVE_SYMS(MX_DL_DECLARE)

#endif
