build-stress/obj/src/core/boot.o: src/core/boot.c include/macext/boot.h \
 include/macext/core.h include/macext/err.h
include/macext/boot.h:
include/macext/core.h:
include/macext/err.h:
