build-stress/obj/src/formats/codesign_path.o: src/formats/codesign_path.c \
 src/formats/codesign_int.h include/macext/cs_blobs.h \
 include/macext/err.h include/macext/rd.h include/macext/codesign.h \
 include/macext/bundle.h include/macext/macho.h
src/formats/codesign_int.h:
include/macext/cs_blobs.h:
include/macext/err.h:
include/macext/rd.h:
include/macext/codesign.h:
include/macext/bundle.h:
include/macext/macho.h:
