build-stress/obj/src/tools/forge_ca.o: src/tools/forge_ca.c \
 include/macext/cs_blobs.h src/tools/forge_int.h include/macext/forge.h \
 include/macext/err.h include/macext/rd.h
include/macext/cs_blobs.h:
src/tools/forge_int.h:
include/macext/forge.h:
include/macext/err.h:
include/macext/rd.h:
