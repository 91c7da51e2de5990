build-stress/obj/src/formats/apple_certs.o: src/formats/apple_certs.c \
 src/formats/codesign_int.h include/macext/cs_blobs.h \
 include/macext/err.h include/macext/rd.h include/macext/codesign.h
src/formats/codesign_int.h:
include/macext/cs_blobs.h:
include/macext/err.h:
include/macext/rd.h:
include/macext/codesign.h:
