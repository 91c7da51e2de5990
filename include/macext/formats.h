/* formats.h — the formats layer: every parser of untrusted input. */
#ifndef MACEXT_FORMATS_H
#define MACEXT_FORMATS_H
#include "macext/err.h"
#include "macext/rd.h"
#include "macext/profile.h"
#include "macext/codesign.h"
#include "macext/bundle.h"
#endif
