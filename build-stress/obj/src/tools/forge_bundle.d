build-stress/obj/src/tools/forge_bundle.o: src/tools/forge_bundle.c \
 include/macext/cs_blobs.h src/tools/forge_int.h include/macext/forge.h \
 include/macext/err.h include/macext/rd.h
include/macext/cs_blobs.h:
src/tools/forge_int.h:
include/macext/forge.h:
include/macext/err.h:
include/macext/rd.h:
