build-stress/obj/src/formats/macho.o: src/formats/macho.c \
 include/macext/cs_blobs.h include/macext/macho.h include/macext/err.h \
 include/macext/rd.h
include/macext/cs_blobs.h:
include/macext/macho.h:
include/macext/err.h:
include/macext/rd.h:
