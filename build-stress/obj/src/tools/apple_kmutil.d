build-stress/obj/src/tools/apple_kmutil.o: src/tools/apple_kmutil.c \
 src/tools/kext_tools.h include/macext/fileset.h \
 include/macext/cs_blobs.h include/macext/err.h include/macext/kext.h \
 include/macext/core.h src/tools/boot_tools.h include/macext/boot.h \
 src/tools/tools.h include/macext/store.h
src/tools/kext_tools.h:
include/macext/fileset.h:
include/macext/cs_blobs.h:
include/macext/err.h:
include/macext/kext.h:
include/macext/core.h:
src/tools/boot_tools.h:
include/macext/boot.h:
src/tools/tools.h:
include/macext/store.h:
