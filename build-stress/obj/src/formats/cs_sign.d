build-stress/obj/src/formats/cs_sign.o: src/formats/cs_sign.c \
 include/macext/cs_blobs.h include/macext/forge.h include/macext/err.h \
 include/macext/rd.h
include/macext/cs_blobs.h:
include/macext/forge.h:
include/macext/err.h:
include/macext/rd.h:
