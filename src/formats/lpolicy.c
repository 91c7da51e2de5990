/*
 * lpolicy.c — the byte form of the simulated LocalPolicy.
 *
 * The real LocalPolicy is an Image4 manifest (DER) whose properties are
 * four-character codes (kernel-extensions.md §4.3).  We keep the 4CC tags
 * and their meanings and use a flat, canonical TLV so that the bytes the
 * simulated SEP signs are unambiguous:
 *
 *   off  size  field
 *   0    4     magic "MXLP"
 *   4    4     version, u32 big-endian (1)
 *   8    4     ntags, u32 big-endian (<= 32)
 *   12   ...   ntags times: 4CC (4) | length u32be (4) | value (length)
 *
 *   tag    len  value
 *   vuid   1-36 volume group UUID, ASCII
 *   lpnh   8    SEP nonce generation, u64be
 *   smb0-4 1    0x01 (a tag is present or absent; absent = not set)
 *   sip0   4    SIP word, u32be
 *   sip1-3 1    0x01
 *   auxp/auxi/auxr 48  SHA-384
 *   "sig " 64   Ed25519 signature over every byte before this tag, with
 *               ntags counting the tags before it; only as the last tag.
 *
 * Tags are written in the fixed order above; the reader accepts any order
 * but rejects unknown or repeated tags, wrong lengths and trailing bytes,
 * naming the offset.  A record decodes into exactly one encoding.
 */
#include <string.h>

#include "macext/boot.h"
#include "macext/rd.h"

#define LP_MAGIC "MXLP"
#define LP_VERSION 1u
#define LP_MAX_TAGS 32u

struct w { uint8_t *buf; size_t cap, len; bool over; };

static void
put(struct w *w, const void *p, size_t n)
{
	if (w->over || n > w->cap - w->len) {
		w->over = true;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void
tag(struct w *w, uint32_t *ntags, const char *cc, const void *val, uint32_t n)
{
	uint8_t l[4];
	mx_put_u32be(l, n);
	put(w, cc, 4);
	put(w, l, 4);
	put(w, val, n);
	(*ntags)++;
}

size_t
mx_lp_encode(const mx_localpolicy *lp, bool with_sig, uint8_t *buf, size_t cap)
{
	struct w w = { buf, cap, 0, false };
	uint32_t ntags = 0;
	uint8_t hdr[12], one = 1, u8[8];
	memcpy(hdr, LP_MAGIC, 4);
	mx_put_u32be(hdr + 4, LP_VERSION);
	mx_put_u32be(hdr + 8, 0);       /* patched below */
	put(&w, hdr, sizeof hdr);
	size_t vl = strnlen(lp->vuid, sizeof lp->vuid - 1);
	if (vl)
		tag(&w, &ntags, "vuid", lp->vuid, (uint32_t)vl);
	mx_put_u64be(u8, lp->nonce);
	tag(&w, &ntags, "lpnh", u8, 8);
	const bool smb[5] = { lp->smb0, lp->smb1, lp->smb2, lp->smb3, lp->smb4 };
	static const char *smbn[5] = { "smb0", "smb1", "smb2", "smb3", "smb4" };
	for (int i = 0; i < 5; i++)
		if (smb[i])
			tag(&w, &ntags, smbn[i], &one, 1);
	if (lp->has_sip0) {
		mx_put_u32be(u8, lp->sip0);
		tag(&w, &ntags, "sip0", u8, 4);
	}
	if (lp->sip1) tag(&w, &ntags, "sip1", &one, 1);
	if (lp->sip2) tag(&w, &ntags, "sip2", &one, 1);
	if (lp->sip3) tag(&w, &ntags, "sip3", &one, 1);
	if (lp->has_auxp) tag(&w, &ntags, "auxp", lp->auxp, MX_LP_HASH_LEN);
	if (lp->has_auxi) tag(&w, &ntags, "auxi", lp->auxi, MX_LP_HASH_LEN);
	if (lp->has_auxr) tag(&w, &ntags, "auxr", lp->auxr, MX_LP_HASH_LEN);
	if (w.over)
		return 0;
	mx_put_u32be(buf + 8, ntags);   /* the signed bytes count the tags before "sig " */
	if (with_sig && lp->has_sig) {
		tag(&w, &ntags, "sig ", lp->sig, MX_LP_SIG_LEN);
		if (w.over)
			return 0;
		/* ntags in the header stays the count of signed tags; the
		 * signature tag is recognised as the one after them. */
	}
	return w.len;
}

/* Tag table: name, exact length (0 = 1..36 for vuid). */
enum { T_VUID, T_LPNH, T_SMB0, T_SMB1, T_SMB2, T_SMB3, T_SMB4, T_SIP0, T_SIP1, T_SIP2,
	T_SIP3, T_AUXP, T_AUXI, T_AUXR, T_N };
static const struct { char cc[5]; uint32_t len; } tags[T_N] = {
	[T_VUID] = { "vuid", 0 }, [T_LPNH] = { "lpnh", 8 },
	[T_SMB0] = { "smb0", 1 }, [T_SMB1] = { "smb1", 1 }, [T_SMB2] = { "smb2", 1 },
	[T_SMB3] = { "smb3", 1 }, [T_SMB4] = { "smb4", 1 },
	[T_SIP0] = { "sip0", 4 }, [T_SIP1] = { "sip1", 1 }, [T_SIP2] = { "sip2", 1 },
	[T_SIP3] = { "sip3", 1 },
	[T_AUXP] = { "auxp", MX_LP_HASH_LEN }, [T_AUXI] = { "auxi", MX_LP_HASH_LEN },
	[T_AUXR] = { "auxr", MX_LP_HASH_LEN },
};

static bool
printable_cc(const uint8_t *c)
{
	for (int i = 0; i < 4; i++)
		if (c[i] < 0x20 || c[i] > 0x7e)
			return false;
	return true;
}

int
mx_lp_decode(mx_localpolicy *out, const uint8_t *buf, size_t len, mx_err *err)
{
	mx_localpolicy lp;
	memset(&lp, 0, sizeof lp);
	memset(out, 0, sizeof *out);
	if (len > MX_LP_MAX_LEN)
		return MX_FAIL(err, MX_ETOOBIG, 0, "LocalPolicy of %zu bytes is over %d", len,
		    MX_LP_MAX_LEN);
	mx_rd rd;
	mx_rd_init(&rd, buf, len, 0, "LocalPolicy");
	const uint8_t *magic;
	uint32_t ver, ntags;
	int rc;
	if ((rc = mx_rd_bytes(&rd, &magic, 4, err)))
		return rc;
	if (memcmp(magic, LP_MAGIC, 4) != 0)
		return MX_FAIL(err, MX_EFORMAT, 0, "LocalPolicy: bad magic, expected \"MXLP\"");
	if ((rc = mx_rd_u32be(&rd, &ver, err)))
		return rc;
	if (ver != LP_VERSION)
		return MX_FAIL(err, MX_EFORMAT, 4, "LocalPolicy: version %u, expected %u", ver,
		    LP_VERSION);
	if ((rc = mx_rd_u32be(&rd, &ntags, err)))
		return rc;
	if (ntags > LP_MAX_TAGS)
		return MX_FAIL(err, MX_EFORMAT, 8, "LocalPolicy: %u tags, at most %u", ntags,
		    LP_MAX_TAGS);
	bool seen[T_N] = { false };
	uint32_t counted = 0;
	for (uint32_t i = 0; i <= ntags && mx_rd_left(&rd) > 0; i++) {
		uint64_t at = mx_rd_off(&rd);
		const uint8_t *cc, *val;
		uint32_t vlen;
		if ((rc = mx_rd_bytes(&rd, &cc, 4, err)) || (rc = mx_rd_u32be(&rd, &vlen, err)))
			return rc;
		if (i == ntags) {
			/* only a signature may follow the counted tags */
			if (memcmp(cc, "sig ", 4) != 0)
				return MX_FAIL(err, MX_EFORMAT, at,
				    "LocalPolicy: trailing bytes after %u tags", ntags);
			if (vlen != MX_LP_SIG_LEN)
				return MX_FAIL(err, MX_EFORMAT, at + 4,
				    "LocalPolicy: sig length %u, expected %d", vlen, MX_LP_SIG_LEN);
			if ((rc = mx_rd_bytes(&rd, &val, vlen, err)))
				return rc;
			memcpy(lp.sig, val, MX_LP_SIG_LEN);
			lp.has_sig = true;
			break;
		}
		int t;
		for (t = 0; t < T_N; t++)
			if (memcmp(cc, tags[t].cc, 4) == 0)
				break;
		if (t == T_N) {
			if (printable_cc(cc))
				return MX_FAIL(err, MX_EFORMAT, at, "LocalPolicy: unknown tag '%.4s'",
				    (const char *)cc);
			return MX_FAIL(err, MX_EFORMAT, at, "LocalPolicy: unknown tag");
		}
		if (seen[t])
			return MX_FAIL(err, MX_EFORMAT, at, "LocalPolicy: tag '%s' repeated",
			    tags[t].cc);
		seen[t] = true;
		counted++;
		bool lenok = tags[t].len ? vlen == tags[t].len : vlen >= 1 && vlen <= 36;
		if (!lenok)
			return MX_FAIL(err, MX_EFORMAT, at + 4, "LocalPolicy: %s length %u, expected %u",
			    tags[t].cc, vlen, tags[t].len ? tags[t].len : 36);
		if ((rc = mx_rd_bytes(&rd, &val, vlen, err)))
			return rc;
		if (tags[t].len == 1 && val[0] != 1)
			return MX_FAIL(err, MX_EFORMAT, at + 8, "LocalPolicy: %s value %u, expected 1",
			    tags[t].cc, val[0]);
		switch (t) {
		case T_VUID:
			for (uint32_t k = 0; k < vlen; k++)
				if (val[k] < 0x21 || val[k] > 0x7e)
					return MX_FAIL(err, MX_EFORMAT, at + 8 + k,
					    "LocalPolicy: vuid: unprintable byte");
			memcpy(lp.vuid, val, vlen);
			lp.vuid[vlen] = '\0';
			break;
		case T_LPNH:
			lp.nonce = ((uint64_t)mx_get_u32be(val) << 32) | mx_get_u32be(val + 4);
			break;
		case T_SMB0: lp.smb0 = true; break;
		case T_SMB1: lp.smb1 = true; break;
		case T_SMB2: lp.smb2 = true; break;
		case T_SMB3: lp.smb3 = true; break;
		case T_SMB4: lp.smb4 = true; break;
		case T_SIP0: lp.has_sip0 = true; lp.sip0 = mx_get_u32be(val); break;
		case T_SIP1: lp.sip1 = true; break;
		case T_SIP2: lp.sip2 = true; break;
		case T_SIP3: lp.sip3 = true; break;
		case T_AUXP: lp.has_auxp = true; memcpy(lp.auxp, val, MX_LP_HASH_LEN); break;
		case T_AUXI: lp.has_auxi = true; memcpy(lp.auxi, val, MX_LP_HASH_LEN); break;
		case T_AUXR: lp.has_auxr = true; memcpy(lp.auxr, val, MX_LP_HASH_LEN); break;
		}
	}
	if (mx_rd_left(&rd) > 0)
		return MX_FAIL(err, MX_EFORMAT, mx_rd_off(&rd), "LocalPolicy: trailing bytes");
	if (counted != ntags)
		return MX_FAIL(err, MX_EFORMAT, len, "LocalPolicy: %u tags, header says %u",
		    counted, ntags);
	if (!seen[T_LPNH])
		return MX_FAIL(err, MX_EFORMAT, 8, "LocalPolicy: missing tag 'lpnh'");
	*out = lp;
	return 0;
}
