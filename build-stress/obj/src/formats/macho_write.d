build-stress/obj/src/formats/macho_write.o: src/formats/macho_write.c \
 include/macext/cs_blobs.h include/macext/forge.h include/macext/err.h \
 include/macext/rd.h
include/macext/cs_blobs.h:
include/macext/forge.h:
include/macext/err.h:
include/macext/rd.h:
