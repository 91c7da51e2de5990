build-stress/obj/src/formats/codesign.o: src/formats/codesign.c \
 src/formats/codesign_int.h include/macext/cs_blobs.h \
 include/macext/err.h include/macext/rd.h include/macext/codesign.h \
 include/macext/plist_util.h
src/formats/codesign_int.h:
include/macext/cs_blobs.h:
include/macext/err.h:
include/macext/rd.h:
include/macext/codesign.h:
include/macext/plist_util.h:
